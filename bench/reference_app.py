"""The yardstick: the smallest Flask app, served the same way as Acompaña, so page figures read as a ratio."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, World!"
