"""The LED wall (综合屏) in Kivy: thin widgets drawing :class:`signage.wallmodel.WallView`.

Importing this package imports Kivy: the node, the models and the bars do not.
"""
