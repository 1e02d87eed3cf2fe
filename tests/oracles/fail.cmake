# Fails a test with the reason given as -DREASON=... (used when a tool the oracle test needs is missing).
message(FATAL_ERROR "${REASON}")
