"""Insert many catalogue rows straight into the products database (run inside the products service).

For the cache-miss read scenarios only: these rows publish no events (bulk_create), so
orders and inventory never hear of them. Reads JSON {"count": N} on stdin, prints the ids.
"""

import json
import sys
from decimal import Decimal

import django

django.setup()

from products.models import Product  # noqa: E402


def main() -> int:
    count = int(json.loads(sys.stdin.read())["count"])
    created = Product.objects.bulk_create(
        (
            Product(
                name=f"Bench catalogue item {index}",
                description="Seeded by manage_all.py bench for cache-miss reads.",
                price=Decimal("1000.00"),
                category=f"bench-{index % 20}",
                stock=100,
            )
            for index in range(count)
        ),
        batch_size=1000,
    )
    print(json.dumps({"ids": [str(product.pk) for product in created]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
