"""The one exception type the `course` CLI turns into a one-line message."""


class CourseError(Exception):
    """A problem the user can fix (bad argument, missing file, refused overwrite).

    The CLI prints ``error: <message>`` and exits with status 2, without a
    traceback. Set ``COURSE_DEBUG=1`` to see the traceback anyway.
    """
