"""Records: the filled-in visit form — templates as data, THE one write path for visits
(`services.submit_records`), verification and review, and the printed form in duplicate."""
