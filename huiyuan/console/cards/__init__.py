"""Console pages for pre-made card batches (卡密): batches in the back office, activation at
the counter."""
