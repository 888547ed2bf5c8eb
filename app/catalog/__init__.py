"""Data catalog (数据目录): every dataset this node holds, described from its models."""
