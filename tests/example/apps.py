from xietong.platform import ModuleConfig


class ExampleConfig(ModuleConfig):
    name = "tests.example"
    label = "example"
    verbose_name = "Example notes"
