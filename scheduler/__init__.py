"""The daily drip: the planner (timing rules), the ledger (deliveries), runs and the job."""
