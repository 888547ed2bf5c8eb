"""Data-quality checks (数据质量): named rules over every domain, counted with aggregate SQL."""
