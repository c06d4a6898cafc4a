"""HTTP endpoints of the products service: the catalogue, read-aside cached."""

import json

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from common.auth import IsAdminOrReadOnly
from products import responses, selectors, services
from products.filters import ProductFilter
from products.serializers import (
    ProductCreateInputSerializer,
    ProductOutputSerializer,
    ProductUpdateInputSerializer,
)

CACHE_HEADER = responses.CACHE_HEADER


def _plain_json(request) -> bool:
    """Whether DRF chose compact JSON, the bytes cache entries hold (not the browsable API, no indent)."""
    renderer = request.accepted_renderer
    return isinstance(renderer, JSONRenderer) and renderer.get_indent(request.accepted_media_type, {}) is None


def _cached_response(request, cached, respond):
    """Answer a read from its cache entry: the stored JSON bytes (ETag, 304), else the same decoded."""
    plain = _plain_json(request)
    response = respond(request, cached.value, hit=cached.hit, conditional=plain)
    if plain:
        return response
    decoded = Response(json.loads(response.content), status=response.status_code)
    decoded[CACHE_HEADER] = response[CACHE_HEADER]
    return decoded


CACHE_HEADER_DOC = OpenApiParameter(
    CACHE_HEADER,
    location=OpenApiParameter.HEADER,
    response=True,
    enum=["HIT", "MISS"],
    description="HIT when served from the Redis cache, MISS when read from the database.",
)

# Error answers (400, 401, 403, 404, 429, ...) are documented for every operation by
# common.schema.AutoSchema.


@extend_schema_view(
    list=extend_schema(
        summary="List products (filtered, ordered, paginated)",
        parameters=[CACHE_HEADER_DOC],
        responses={200: ProductOutputSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Read one product",
        parameters=[CACHE_HEADER_DOC],
        responses={200: ProductOutputSerializer},
    ),
    create=extend_schema(
        summary="Add a product (admin); `stock` is its initial stock",
        request=ProductCreateInputSerializer,
        responses={201: ProductOutputSerializer},
    ),
    update=extend_schema(
        summary="Replace a product's catalogue fields (admin); `stock` is ignored",
        request=ProductUpdateInputSerializer,
        responses={200: ProductOutputSerializer},
    ),
    partial_update=extend_schema(
        summary="Change some catalogue fields (admin); `stock` is ignored",
        request=ProductUpdateInputSerializer,
        responses={200: ProductOutputSerializer},
    ),
    destroy=extend_schema(summary="Remove a product (admin)", responses={204: None}),
)
class ProductViewSet(viewsets.GenericViewSet):
    """The catalogue: anyone reads (from the cache when it can), admins write."""

    permission_classes = [IsAdminOrReadOnly]
    serializer_class = ProductOutputSerializer
    filterset_class = ProductFilter
    queryset = selectors.product_queryset()
    lookup_value_regex = "[^/]+"

    def list(self, request):
        filterset = ProductFilter(request.query_params, queryset=selectors.product_queryset())
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        page = request.query_params.get(self.paginator.page_query_param) or "1"
        if not (page.isdigit() and len(page) < 10) and page != "last":
            raise NotFound("Invalid page.")
        cached = selectors.product_page(
            filterset=filterset,
            query=list(request.query_params.lists()),
            page=page,
            page_size=self.paginator.get_page_size(request),
        )
        return _cached_response(request, cached, responses.page_response)

    def retrieve(self, request, pk=None):
        product_id = selectors.parse_product_id(pk)
        if product_id is None:
            raise NotFound()
        cached = selectors.product_detail(product_id=product_id)
        return _cached_response(request, cached, responses.detail_response)

    def create(self, request):
        serializer = ProductCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.product_create(**serializer.validated_data)
        return Response(ProductOutputSerializer(product).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        return self._update(request, pk, partial=False)

    def partial_update(self, request, pk=None):
        return self._update(request, pk, partial=True)

    def _update(self, request, pk, *, partial: bool) -> Response:
        product_id = selectors.parse_product_id(pk)
        if product_id is None:
            raise NotFound()
        serializer = ProductUpdateInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        product = services.product_update(product_id=product_id, **serializer.validated_data)
        return Response(ProductOutputSerializer(product).data)

    def destroy(self, request, pk=None):
        product_id = selectors.parse_product_id(pk)
        if product_id is None:
            raise NotFound()
        services.product_delete(product_id=product_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
