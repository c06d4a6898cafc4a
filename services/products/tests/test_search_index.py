import pytest
from django.db import connection

from products.filters import ProductFilter
from products.models import Product


def plan_for(params: dict) -> str:
    filterset = ProductFilter(params, queryset=Product.objects.all())
    assert filterset.is_valid()
    sql, sql_params = filterset.qs.query.sql_with_params()
    with connection.cursor() as cursor:
        # An empty test table makes every plan cheap: leave the planner only index lookups
        # by condition, to show that an index serves the filter.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", sql_params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "indexes"),
    [
        ({"search": "lamp"}, ["product_name_trgm_idx", "product_description_trgm_idx"]),
        ({"category": "Home"}, ["product_category_idx"]),
        ({"search": "lamp", "category": "Home"}, ["product_category_idx"]),
    ],
)
def test_search_and_category_filters_can_use_an_index(params, indexes):
    plan = plan_for(params)

    for index in indexes:
        assert index in plan
