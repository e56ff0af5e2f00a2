"""examples/hello, as `make demo` runs it: hello_worker serves, hello_client calls both activities as
standalone activities through the server."""


def test_hello_example(c_programs, dev_server, task_queue):
    c_programs.start("hello_worker", "--target", dev_server, "--task-queue", task_queue)
    done = c_programs.run("hello_client", "--target", dev_server, "--task-queue", task_queue)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    assert done.stdout.splitlines() == [
        'say_hello_activity("World") -> "Hello, World!"',
        'my-activity("World") -> "Hello, World!"',
    ]
