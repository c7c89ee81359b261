"""Demo data: a realistic chain for trying huiyuan out (``huiyuan demo``)."""
