"""Whether a configured secret is strong enough to start with: long, random-looking, no
placeholder. Shared by every service that holds a secret (the API, the notifier)."""

# Values people paste from examples; refused whatever their length.
PLACEHOLDER_WORDS = ("changeme", "change-me", "change_me", "change me", "placeholder", "example")


def weak_secret_problem(value: str, min_length: int) -> str | None:
    """Why the secret is refused, or None; the message never repeats the value."""
    if len(value) < min_length:
        return f"must have at least {min_length} characters"
    lowered = value.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS) or len(set(value)) < 6:
        return "is a placeholder or too repetitive; generate a random one"
    return None
