"""Catalog pages: category tree, products, prices, bundles, Excel import."""
