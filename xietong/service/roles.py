"""The role customer service adds to the company's (declared in manifest.py)."""

CUSTOMER_SERVICE = "customer_service"
