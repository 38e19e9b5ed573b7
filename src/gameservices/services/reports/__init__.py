"""Reports: `report/generate` (`generate`) with its rows (`rows`), certificate and lead scoring reports
(`certificates`, `lead_scoring`), a user's certificate report (`user_certificates`), and the output formats
(`formats`); docs/reports.md."""
