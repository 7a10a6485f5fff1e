"""The only code that touches files and codecs."""
