"""The plain check of an order body accepts only what the serializer accepts, to the same data."""

import json

import pytest
from rest_framework import exceptions

from orders.serializers import OrderCreateInputSerializer, _plain_order_input, order_create_input

GOOD = [
    {"items": [{"product": "p-1", "quantity": 1}]},
    {"items": [{"product": "p-1", "quantity": 10_000}, {"product": "p.2:x", "quantity": 3}]},
    {
        "items": [{"product": "p-1", "quantity": 2, "price": "0.01", "name": "free"}],
        "user": "u",
        "totalAmount": 0,
    },
    {"items": [{"product": "a" * 64, "quantity": 1}], "payment_method": "tok_chargeDeclined"},
    {"items": [{"product": f"p{index}", "quantity": 1} for index in range(100)]},
]
BAD = [
    None,
    [],
    "items",
    {},
    {"items": None},
    {"items": []},
    {"items": {}},
    {"items": "p-1"},
    {"items": [{"product": f"p{index}", "quantity": 1} for index in range(101)]},
    {"items": [None]},
    {"items": [[]]},
    {"items": [{}]},
    {"items": [{"product": "p-1"}]},
    {"items": [{"quantity": 1}]},
    {"items": [{"product": "p-1", "quantity": 0}]},
    {"items": [{"product": "p-1", "quantity": -1}]},
    {"items": [{"product": "p-1", "quantity": 10_001}]},
    {"items": [{"product": "p-1", "quantity": 1.5}]},
    {"items": [{"product": "p-1", "quantity": 2.0}]},
    {"items": [{"product": "p-1", "quantity": "2"}]},
    {"items": [{"product": "p-1", "quantity": True}]},
    {"items": [{"product": "p-1", "quantity": None}]},
    {"items": [{"product": "", "quantity": 1}]},
    {"items": [{"product": "   ", "quantity": 1}]},
    {"items": [{"product": None, "quantity": 1}]},
    {"items": [{"product": 5, "quantity": 1}]},
    {"items": [{"product": "a" * 65, "quantity": 1}]},
    {"items": [{"product": "p\x00", "quantity": 1}]},
    {"items": [{"product": "p-1", "quantity": 1}, {"product": "p-1", "quantity": 2}]},
    {"items": [{"product": "p-1", "quantity": 1}], "payment_method": ""},
    {"items": [{"product": "p-1", "quantity": 1}], "payment_method": None},
    {"items": [{"product": "p-1", "quantity": 1}], "payment_method": 5},
    {"items": [{"product": "p-1", "quantity": 1}], "payment_method": "x" * 65},
]
# Valid for the serializer, but of a shape the plain check leaves to it (whitespace to trim, ...).
UNUSUAL = [
    {"items": [{"product": " p-1 ", "quantity": 1}]},
    {"items": [{"product": "pä", "quantity": 1}], "payment_method": " tok_visa"},
]


def _serializer(data) -> OrderCreateInputSerializer:
    serializer = OrderCreateInputSerializer(data=data)
    serializer.is_valid()
    return serializer


@pytest.mark.parametrize("data", GOOD, ids=range(len(GOOD)))
def test_a_plain_body_validates_to_what_the_serializer_gives(data):
    serializer = _serializer(data)

    assert serializer.errors == {}
    assert _plain_order_input(data) == json.loads(json.dumps(serializer.validated_data))
    assert order_create_input(data) == _plain_order_input(data)


@pytest.mark.parametrize("data", BAD + UNUSUAL, ids=range(len(BAD + UNUSUAL)))
def test_anything_else_is_left_to_the_serializer(data):
    assert _plain_order_input(data) is None


@pytest.mark.parametrize("data", BAD, ids=range(len(BAD)))
def test_an_invalid_body_gets_the_serializers_errors(data):
    expected = _serializer(data).errors
    assert expected  # each of these is invalid

    with pytest.raises(exceptions.ValidationError) as raised:
        order_create_input(data)

    assert raised.value.detail == expected


@pytest.mark.parametrize("data", UNUSUAL, ids=range(len(UNUSUAL)))
def test_an_unusual_valid_body_is_validated_by_the_serializer(data):
    assert order_create_input(data) == _serializer(data).validated_data
