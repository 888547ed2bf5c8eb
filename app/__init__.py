"""mzbrain — the data service behind Huzhou's civil-affairs 民政大脑 platform."""

__version__ = "0.1.0"
