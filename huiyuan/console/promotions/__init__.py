"""Console pages for promotions (促销) and the holiday calendar."""
