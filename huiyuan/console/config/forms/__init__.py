"""Forms of the configuration and report pages, one module per page. They parse input
(yuan, 折, dates) into what the services take (fen, ‰, aware datetimes); the services
decide and write."""
