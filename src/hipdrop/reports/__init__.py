"""What a finished analysis is written as: summary.json, frames.csv, the chart, the annotated
video, report.html."""
