"""Console pages of the outbox: domain events, their deliveries and errors, and a retry."""
