import pytest


@pytest.fixture(scope="session")
def default_checker():
    """The default model's shared checker, loaded once, its lazy parts loaded as `unspin serve` does."""
    from unspin.checker import get_checker
    from unspin.web.app import WARMUP_TEXT

    c = get_checker("default")
    c.check(WARMUP_TEXT)
    return c


@pytest.fixture(scope="session")
def checker():
    from unspin.checker import get_checker

    return get_checker("ngram")


SPUN = (
    "The minister stated on Thursday that the authorities would alternate the coverage within the subsequent few days. "
    "Officials mentioned masses of individuals had been evacuated, consistent with a press release. "
    "\"We will not change the law,\" the minister said in Paris on 3 March."
)


@pytest.fixture
def spun_text():
    return SPUN
