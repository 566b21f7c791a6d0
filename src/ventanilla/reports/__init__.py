"""Reports: conversation facts, metrics, the quality score and findings, dashboards, exports."""
