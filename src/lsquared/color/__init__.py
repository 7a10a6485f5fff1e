"""Pure colour math: spaces, matrices, chromatic adaptation, temperatures, transfer functions.

Nothing here touches files or pixels of a Frame; functions take and return arrays.
colour-science is the oracle the tests compare against; the runtime math is small numpy
so that a develop does not pay colour's import time.
"""
