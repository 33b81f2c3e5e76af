# A persistent R interpreter for `run_code`, the R counterpart of python_kernel.py.
#
# Run as its own process (as the sandbox user) with `Rscript --vanilla r_kernel.R IN_FD OUT_FD`. It
# reads one JSON request per line from IN_FD (the fields of python_kernel.py: code, envs, cwd, setEnv,
# unsetEnv), evaluates the code's expressions one after another in the global environment, and writes
# JSON messages, one per line, to OUT_FD: "ready" first, then per request a "result" with the printed
# form of the last expression when it is visible (as R's console would print it), an "error" for a
# condition that stopped it, and "done". What the code prints goes to fds 1 and 2, which the agent
# streams; warnings go to stderr as they happen. SIGINT interrupts the running request and keeps the
# global environment. Needs r-cran-jsonlite (the code-interpreter template has it).

args <- commandArgs(trailingOnly = TRUE)
requests <- file(sprintf("/dev/fd/%s", args[[1]]), open = "r", raw = TRUE)
messages <- file(sprintf("/dev/fd/%s", args[[2]]), open = "w", raw = TRUE)

send <- function(message) {
  writeLines(jsonlite::toJSON(message, auto_unbox = TRUE, null = "null"), messages, useBytes = TRUE)
  flush(messages)
}

set_envs <- function(values) {
  if (length(values)) do.call(Sys.setenv, as.list(values))
}

count <- 0L
run <- function(request) {
  count <<- count + 1L
  set_envs(request$setEnv)
  if (length(request$unsetEnv)) Sys.unsetenv(unlist(request$unsetEnv))
  envs <- unlist(request$envs)
  saved <- Sys.getenv(names(envs), unset = NA, names = TRUE)
  set_envs(envs)
  saved_cwd <- if (!is.null(request$cwd)) setwd(request$cwd) else NULL
  on.exit({
    if (length(saved)) set_envs(saved[!is.na(saved)])
    if (any(is.na(saved))) Sys.unsetenv(names(saved)[is.na(saved)])
    if (!is.null(saved_cwd)) try(setwd(saved_cwd), silent = TRUE)
  })
  status <- "ok"
  failed <- function(name, value, trace = "") {
    status <<- "error"
    send(list(type = "error", name = name, value = value, traceback = trace))
  }
  tryCatch(
    withCallingHandlers(
      {
        expressions <- parse(text = request$code, keep.source = FALSE)
        shown <- NULL
        for (expression in expressions) {
          shown <- withVisible(eval(expression, envir = globalenv()))
        }
        if (!is.null(shown) && shown$visible) {
          text <- paste(utils::capture.output(print(shown$value)), collapse = "\n")
          send(list(type = "result", data = list(`text/plain` = text), isMainResult = TRUE))
        }
      },
      warning = function(w) {
        message("Warning message:\n", conditionMessage(w))
        invokeRestart("muffleWarning")
      }
    ),
    interrupt = function(i) failed("KeyboardInterrupt", "interrupted"),
    error = function(e) failed(class(e)[[1]], conditionMessage(e), paste0("Error: ", conditionMessage(e), "\n"))
  )
  flush(stdout())  # a pipe is block-buffered: what the cell printed must reach the agent before "done"
  flush(stderr())
  send(list(type = "done", executionCount = count, status = status))
}

send(list(type = "ready"))
repeat {
  line <- readLines(requests, n = 1L, encoding = "UTF-8")
  if (!length(line)) break
  # Between requests an interrupt is ignored: the loop goes on reading.
  tryCatch(run(jsonlite::fromJSON(line, simplifyVector = FALSE)), interrupt = function(i) NULL)
}
