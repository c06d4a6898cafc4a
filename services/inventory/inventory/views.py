"""HTTP endpoints of the inventory service: read a product's stock; an admin sets it."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from common.auth import IsAdminOrReadOnly
from inventory import selectors, services
from inventory.serializers import StockOutputSerializer, StockSetInputSerializer


class StockView(APIView):
    permission_classes = [IsAdminOrReadOnly]

    @extend_schema(responses={200: StockOutputSerializer})
    def get(self, request, product_id: str):
        item = selectors.stock_get(product_id=product_id)
        if item is None:
            raise exceptions.NotFound("No stock is kept for this product.")
        return Response(StockOutputSerializer(item).data)

    @extend_schema(request=StockSetInputSerializer, responses={200: StockOutputSerializer})
    def put(self, request, product_id: str):
        serializer = StockSetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.stock_set(product_id=product_id, **serializer.validated_data)
        return Response(StockOutputSerializer(item).data)
