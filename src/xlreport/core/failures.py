"""Failures that stop a file from being used at all (exit code 2), with Chinese messages.

A :class:`FileRejected` always carries a stable code from :data:`FILE_FAILURES` and a
message that says what is wrong and what to do; the CLI prints it without a traceback.
"""

from __future__ import annotations

# The one table of exit codes: the command line, batch rows and the Excel button use these.
EXIT_OK = 0  # scored (perhaps with warnings or hints)
EXIT_ERRORS = 1  # errors remain: the total is incomplete
EXIT_UNUSABLE = 2  # the file (or a report, or a bundle) could not be made or used
EXIT_INTERNAL = 3  # a bug: the message asks for --debug output
EXIT_INTERRUPTED = 130  # Ctrl+C, as shells report it

FILE_FAILURES: dict[str, str] = {
    "file-not-found": "找不到文件“{path}”。请检查文件名和所在文件夹。",
    "file-empty": "文件“{path}”是空文件（0字节）。请重新保存或重新发送工作簿。",
    "file-unreadable": "无法读取文件“{path}”：{reason}。请确认文件未被其他程序占用、有读取权限。",
    "file-legacy-xls": "文件“{path}”是旧版Excel 97-2003格式（.xls）。请在Excel中“另存为”Excel工作簿（.xlsx）后再提交。",
    "file-xlsb": "文件“{path}”是Excel二进制工作簿（.xlsb）。请在Excel中“另存为”Excel工作簿（.xlsx）后再提交。",
    "file-encrypted": "文件“{path}”设置了打开密码，无法读取。请在Excel中“文件→信息→保护工作簿→用密码进行加密”清除密码后再提交。",
    "file-not-workbook": "文件“{path}”不是Excel工作簿（{kind}）。请提交用绩效自评模板填写的 .xlsx 文件。",
    "file-corrupt": "文件“{path}”已损坏或不完整，无法打开（{reason}）。请在Excel中重新保存后再提交。",
    "file-too-large": "文件“{path}”过大或压缩异常（{reason}），为安全起见拒绝处理。绩效自评工作簿通常不超过1MB，请删除无关内容后再提交。",
    "file-unsafe-xml": "文件“{path}”含有不安全的XML结构（{reason}），为安全起见拒绝处理。请用Excel重新另存为 .xlsx 后再提交。",
    "file-not-template": "文件“{path}”不是绩效自评工作簿：找不到“基本信息”“预算执行”“绩效指标”等工作表。请用 xlreport new 生成模板填写。",
    "file-newer-version": "工作簿模板版本为{found}，本工具只支持到版本{supported}。请升级xlreport后再评分。",
    "file-keeps-parts": "工作簿中含有{parts}，本工具保存工作簿时会丢失这些内容，因此未写回（用 -o 另存也一样）。请删除这些内容或另存一份不含它们的副本后重新评分；只查看分数和问题可用 xlreport check。",
    "file-exists": "“{path}”已存在，未覆盖（其中可能已填写内容）。请换一个文件名；确需覆盖，请加 --force。",
    "convert-not-form": "“{path}”已经是本工具的模板格式，无需转换，可直接用 xlreport build 评分。",
    "convert-same-file": "转换结果不能覆盖原自评表“{path}”，请用 -o 指定另一个文件名。",
    "file-write-failed": "无法写入“{path}”：{reason}。原文件未被修改。请关闭在Excel中打开的该文件，或检查文件夹写入权限。",
}


class XlreportError(Exception):
    """Base for failures shown to users as a message, never a traceback."""

    exit_code = EXIT_UNUSABLE

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FileRejected(XlreportError):
    """The file cannot be used at all (not a workbook, encrypted, too large, ...)."""

    @classmethod
    def make(cls, code: str, **fields: object) -> "FileRejected":
        return cls(code, FILE_FAILURES[code].format(**fields))
