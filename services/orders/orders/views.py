"""HTTP endpoints of the orders service: place, list, read and cancel orders."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import selectors, services
from orders.serializers import (
    OrderCreateInputSerializer,
    OrderOutputSerializer,
    order_create_input,
    order_output,
)

IDEMPOTENCY_KEY_MAX_LENGTH = 255

idempotency_key_parameter = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Repeat a POST with the same key to get the first order back (201) instead of a new one.",
)


def _idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None or key.strip() == "":
        return None
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise exceptions.ValidationError(
            {
                "Idempotency-Key": [
                    f"Ensure this header has no more than {IDEMPOTENCY_KEY_MAX_LENGTH} characters."
                ]
            }
        )
    return key


def _order_response(order, *, status_code: int, replayed: bool = False) -> Response:
    response = Response(order_output(order), status=status_code)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class OrderListCreateView(GenericAPIView):
    serializer_class = OrderOutputSerializer
    # OpenAPI links (stateful contract testing): from a listed or a placed order to its detail
    # and its cancel operation.
    openapi_links = {
        "GET": {
            "200": {
                "detail": {
                    "operationId": "orders_retrieve",
                    "parameters": {"order_id": "$response.body#/results/0/id"},
                },
                "cancel": {
                    "operationId": "orders_cancel_create",
                    "parameters": {"order_id": "$response.body#/results/0/id"},
                },
            }
        },
        "POST": {
            "201": {
                "detail": {
                    "operationId": "orders_retrieve",
                    "parameters": {"order_id": "$response.body#/id"},
                },
                "cancel": {
                    "operationId": "orders_cancel_create",
                    "parameters": {"order_id": "$response.body#/id"},
                },
            }
        },
    }

    def get_queryset(self):
        return selectors.order_list(user=self.request.user)

    @extend_schema(responses={200: OrderOutputSerializer(many=True)})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([order_output(order) for order in page])

    @extend_schema(
        request=OrderCreateInputSerializer,
        responses={201: OrderOutputSerializer},
        parameters=[idempotency_key_parameter],
    )
    def post(self, request):
        key = _idempotency_key(request)
        if key is not None:
            first = selectors.order_for_idempotency_key(user_id=str(request.user.id), idempotency_key=key)
            if first is not None:
                return _order_response(first, status_code=status.HTTP_201_CREATED, replayed=True)
        data = order_create_input(request.data)
        order, created = services.order_place(
            user_id=str(request.user.id),
            user_email=request.user.email,
            lines=[
                services.OrderLine(product=item["product"], quantity=item["quantity"])
                for item in data["items"]
            ],
            payment_method=data["payment_method"],
            idempotency_key=key,
        )
        return _order_response(order, status_code=status.HTTP_201_CREATED, replayed=not created)


def _visible_order(request, order_id: str):
    order = selectors.order_get(user=request.user, order_id=order_id)
    if order is None:
        raise exceptions.NotFound()
    return order


class OrderDetailView(APIView):
    @extend_schema(responses={200: OrderOutputSerializer})
    def get(self, request, order_id: str):
        return _order_response(_visible_order(request, order_id), status_code=status.HTTP_200_OK)


class OrderCancelView(APIView):
    """Cancel an order not yet shipped; cancelling an already cancelled order answers 200 unchanged."""

    @extend_schema(request=None, responses={200: OrderOutputSerializer})
    def post(self, request, order_id: str):
        order = services.order_cancel(order_id=_visible_order(request, order_id).id)
        return _order_response(selectors.order_get(user=request.user, order_id=order.id), status_code=200)
