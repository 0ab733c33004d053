"""Pure code shared by every node: no Flask, no Kivy, no paho, no database driver."""
