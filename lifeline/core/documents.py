"""What every printed document of Lifeline shares: the Chinese font stack for PDFs (WeasyPrint)
and the Word helpers (python-docx) that make Chinese show in a Chinese font, number pages,
and write headings and plain tables. The plan binder and the fault analysis report use them.
"""
FONT_STACK = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "DejaVu Sans", sans-serif'
DOCX_LATIN_FONT = "Arial"
DOCX_EAST_ASIAN_FONT = "Microsoft YaHei"


def docx_fonts(doc):
    """Name an East-Asian font on every style used, so Word does not fall back to a Latin font for Chinese."""
    from docx.oxml.ns import qn

    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Table Grid", "List Number"):
        style = doc.styles[name]
        style.font.name = DOCX_LATIN_FONT
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), DOCX_EAST_ASIAN_FONT)
        # A theme font overrides the named one; headings of the default template use theme fonts.
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)


def docx_page_number(paragraph):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for field_code in ("PAGE", None, "NUMPAGES"):
        if field_code is None:
            paragraph.add_run(" / ")
            continue
        simple = OxmlElement("w:fldSimple")
        simple.set(qn("w:instr"), field_code)
        simple.append(paragraph.add_run("1")._r)
        paragraph._p.append(simple)


def docx_heading(doc, text, level, new_page=False):
    heading = doc.add_heading(text, level)
    heading.paragraph_format.page_break_before = new_page
    return heading


def docx_table(doc, header, rows, widths=None):
    from docx.shared import Mm

    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=False):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=False):
            cell.text = str(text)
    if widths:
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=False):
                cell.width = Mm(width)
    doc.add_paragraph()
    return table
