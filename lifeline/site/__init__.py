"""The top of the project: what needs every app at once. Today that is `lifeline demo`, which
loads each app's demo data into one demo hospital. Nothing imports this app; it may import any.
"""
