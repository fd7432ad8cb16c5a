EDITOR = "example_editor"
