"""HTTP endpoints of the payments service: list payments (of one order, with ?order=)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView

from payments import selectors
from payments.serializers import PaymentOutputSerializer


class PaymentListView(GenericAPIView):
    """The caller's payments, or everyone's for an admin; `?order=<id>` narrows to one order."""

    serializer_class = PaymentOutputSerializer

    def get_queryset(self):
        order = self.request.query_params.get("order")
        return selectors.payment_list(user=self.request.user, order_id=order)

    @extend_schema(
        parameters=[OpenApiParameter("order", str, description="an order id")],
        responses={200: PaymentOutputSerializer(many=True)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PaymentOutputSerializer(page, many=True).data)
