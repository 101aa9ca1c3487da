"""Installs tf_ner and its `tf-ner` command."""

from setuptools import find_packages, setup


def read_requirements(path):
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


runtime = [r for r in read_requirements("requirements.txt") if not r.startswith("tensorflow")]

setup(
    name="tf_ner",
    version="0.1.0",
    description=(
        "Fine-tune BERT-family models with TensorFlow/Keras 3 for (nested) NER and classification."
    ),
    python_requires=">=3.10",
    packages=find_packages(include=["tf_ner", "tf_ner.*"]),
    install_requires=runtime,
    extras_require={
        "cpu": ["tensorflow-cpu>=2.21,<2.22"],
        "gpu": ["tensorflow[and-cuda]>=2.21,<2.22"],
        "onnx": read_requirements("requirements-onnx.txt"),
        "test": read_requirements("requirements-test.txt"),
    },
    entry_points={"console_scripts": ["tf-ner=tf_ner.cli:main"]},
)
