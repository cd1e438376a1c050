"""The central office's web portal: units upload and read their scores, the office follows every unit.

Starlette + Jinja2 + htmx (vendored), served by uvicorn; see docs in the README section 网上报送平台.
"""
