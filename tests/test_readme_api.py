"""The Python API example runs (shrunk to tiny sizes). It lives in
docs/architecture.md, which the README's "Using the pieces from Python" links to."""
import re

import chainer
import numpy
from PIL import Image

EXAMPLE_PAGE = __file__.rsplit('/', 2)[0] + '/docs/architecture.md'


def test_the_python_example_runs(tmp_path, monkeypatch):
    text = open(EXAMPLE_PAGE).read()
    code = re.search(r'```python\n(import dcgan.*?)```', text, re.S).group(1)
    folder = tmp_path / 'data' / 'sushi'
    folder.mkdir(parents=True)
    rs = numpy.random.RandomState(0)
    for i in range(6):
        Image.fromarray(rs.randint(0, 256, (40, 30, 4)).astype(numpy.uint8), 'RGBA') \
            .save(folder / ('s%d.png' % i))
    # Same code, tiny numbers: width, batch, length and resolution.
    code = (code.replace('ch=256', 'ch=16').replace('), 50)', '), 3)')
            .replace('(5000, ', '(2, ').replace('(500, ', '(2, ')
            .replace('resolution=64', 'resolution=16').replace('n_hidden=100', 'n_hidden=4'))
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, 'docs/architecture.md', 'exec'), namespace)
    assert namespace['updater'].iteration == 2
    assert (tmp_path / 'result' / 'preview' / 'image00000002.png').is_file()
    assert isinstance(namespace['trainer'], chainer.training.Trainer)
