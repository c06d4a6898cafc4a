"""Read operations of the users service."""

from users.models import User


def user_get(*, user_id: str) -> User | None:
    return User.objects.filter(id=user_id, is_active=True).first()
