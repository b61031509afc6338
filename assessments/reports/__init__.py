"""Reports: data builders, charts, PDFs and exports."""
