"""Forms, one module per part of the product (rounds, scoring, workshop)."""
