Attribute VB_Name = "xlreport_button"
' xlreport: a button placed directly in a workbook - an alternative to the xlreport add-in
' (xlreport.xlam, made by `xlreport excel addin`), e.g. for a template a central office
' hands out with the button already in it. Pure ASCII on purpose: the VBA editor reads .bas
' files in the system code page, so every Chinese text comes from Python (xlreport.main()).
'
' Setup, once per workbook:
'   1. Save the workbook as an .xlsm file (Excel macro-enabled workbook).
'   2. Give the workbook the xlwings VBA code, either
'        a) with the xlwings add-in installed (`xlwings addin install`): VBA editor (Alt+F11)
'           > Tools > References > tick "xlwings"; or
'        b) without it: VBA editor > File > Import File... > the file printed by
'           python -c "import xlwings, pathlib; print(pathlib.Path(xlwings.__file__).parent / 'xlwings.bas')"
'   3. VBA editor > File > Import File... > this file (xlreport_button.bas).
'   4. Tell xlwings which Python has xlreport installed: the xlwings ribbon tab, field
'      "Interpreter" (case a), or a sheet named "xlwings.conf" in the workbook with
'      Interpreter_Win / Interpreter_Mac in column A and the full path of that python.exe /
'      python in column B (case b; `xlreport excel addin` prints the path).
'   5. Insert a shape or a button (Developer > Insert > Button), right-click it >
'      Assign Macro... > xlreport_score.
'
' Pressing the button scores the active workbook in place (output cells, the two output
' sheets for scores and problems, highlights and notes on problem cells), writes the report
' "<workbook name>_<self-evaluation report>.docx" beside the workbook and shows a message box
' with the total and grade or the number of problems. An unsaved workbook is asked to be
' saved first.

Option Explicit

Sub xlreport_score()
    RunPython "import xlreport; xlreport.main()"
End Sub
