# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of gmem's documentation (make htmldocs).  The
# kernel-doc directive is the kernel's own Sphinx extension and its
# scripts/kernel-doc, both taken from Debian's linux-source tarball by
# scripts/htmldocs, which passes their directory in GMEM_KERNEL_DOC.
import os
import sys

kernel_doc = os.environ.get('GMEM_KERNEL_DOC')
if not kernel_doc:
    sys.exit('GMEM_KERNEL_DOC is not set: build with make htmldocs')
sys.path.insert(0, os.path.join(kernel_doc, 'sphinx'))

project = 'gmem'
copyright = 'The gmem authors'
extensions = ['kerneldoc']
kerneldoc_bin = os.path.join(kernel_doc, 'kernel-doc')
kerneldoc_srctree = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
primary_domain = 'c'
highlight_language = 'none'
exclude_patterns = ['output', 'ABI']
html_theme = 'alabaster'
html_show_sourcelink = False
