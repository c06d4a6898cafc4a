"""Payloads of the events the orders service consumes, as their producers send them."""

import uuid

from django.utils import timezone


def now() -> str:
    return timezone.now().isoformat()


def payment_completed(order: dict, *, status: str = "SUCCESS", payment_id: str | None = None) -> dict:
    data = {
        "orderId": order["id"],
        "paymentId": payment_id or str(uuid.uuid4()),
        "status": status,
        "amount": order["total_amount"],
        "processedAt": now(),
        "userId": "someone",
        "items": [{"product": item["product"], "quantity": item["quantity"]} for item in order["items"]],
    }
    if status == "FAILED":
        data["reason"] = "card_declined"
    return data


def inventory_updated(order: dict) -> dict:
    return {
        "orderId": order["id"],
        "items": [{"product": item["product"], "quantity": item["quantity"]} for item in order["items"]],
        "updatedAt": now(),
    }


def inventory_rejected(order: dict) -> dict:
    return {
        "orderId": order["id"],
        "reason": "out_of_stock",
        "items": [{"product": item["product"], "quantity": item["quantity"]} for item in order["items"]],
        "rejectedAt": now(),
    }


def payment_refunded(order: dict, *, payment_id: str) -> dict:
    return {
        "orderId": order["id"],
        "paymentId": payment_id,
        "amount": order["total_amount"],
        "userId": "someone",
        "refundedAt": now(),
        "reason": "out_of_stock",
    }
