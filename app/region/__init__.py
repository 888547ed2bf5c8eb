"""Administrative divisions: GB/T 2260 codes and statistical township codes."""
