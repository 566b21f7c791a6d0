import pytest

from ventanilla.core.errors import RateLimited
from ventanilla.core.ratelimit import RateLimiter


def test_window_slides() -> None:
    rl = RateLimiter(limit=2, window_seconds=10)
    rl.hit("a", now=0)
    rl.hit("a", now=1)
    with pytest.raises(RateLimited) as exc:
        rl.hit("a", now=2)
    assert exc.value.retry_after == pytest.approx(8)
    rl.hit("b", now=2)  # other keys are independent
    rl.hit("a", now=10.5)  # the first hit left the window


def test_refused_hits_are_not_counted() -> None:
    rl = RateLimiter(limit=1, window_seconds=10)
    rl.hit("a", now=0)
    for t in range(1, 9):
        with pytest.raises(RateLimited):
            rl.hit("a", now=t)
    rl.hit("a", now=10.1)


def test_memory_is_bounded() -> None:
    rl = RateLimiter(limit=1, window_seconds=10, max_keys=100)
    for i in range(1000):
        rl.hit(f"k{i}", now=float(i))
    assert len(rl._hits) <= 100
