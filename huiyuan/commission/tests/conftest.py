from huiyuan.checkout.tests.conftest import funded, shop  # noqa: F401
