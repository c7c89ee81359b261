"""Member portal: 我的权益卡 — the benefit card in force, its history, buy or renew online."""
