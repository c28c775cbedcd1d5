"""Stage 5: cleaning the generated code. (Passes are added in their own modules.)"""


def optimize(fn_node):
    return fn_node
