"""Query parameters of the product list: search, category, price range, ordering."""

import django_filters
from django.db.models import Q

from products.models import Product

MAX_SEARCH_TERMS = 10


class ProductOrderingFilter(django_filters.OrderingFilter):
    """Order by the chosen fields, then by id so that pages never overlap or skip."""

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        tiebreak = "-id" if ordering[0].startswith("-") else "id"
        return qs.order_by(*ordering, tiebreak)


class ProductFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=200)
    category = django_filters.CharFilter(field_name="category", lookup_expr="iexact", max_length=100)
    min_price = django_filters.NumberFilter(field_name="price", lookup_expr="gte", max_digits=20)
    max_price = django_filters.NumberFilter(field_name="price", lookup_expr="lte", max_digits=20)
    ordering = ProductOrderingFilter(fields=["price", "name", "created_at"])

    class Meta:
        model = Product
        fields = ["search", "category", "min_price", "max_price"]

    def filter_search(self, queryset, name, value):
        """Keep products whose name or description contains every word of `value`."""
        for term in value.split()[:MAX_SEARCH_TERMS]:
            queryset = queryset.filter(Q(name__icontains=term) | Q(description__icontains=term))
        return queryset
