"""Model health: population stability (PSI/CSI), realised performance by week, decay, champion/challenger."""
