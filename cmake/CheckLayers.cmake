# The include rules that make core/'s folders layers and keep LibTorch out
# of the GUI. Called at configure time (tb_check_layers) and by the `layers`
# test (cmake -DTB_ROOT=<source dir> -P cmake/CheckLayers.cmake).
#
# - A file in core/<layer>/ includes "<other>/..." only for layers up to its
#   own in TUNEBENCH_LAYERS (core/CMakeLists.txt); never Qt, never ui/.
# - A core header is heavy when it includes <torch/...>, <ATen/...> or
#   <c10/...>, or a heavy header. ui/ includes no heavy header and no LibTorch.
# - ui/ includes its own headers as "ui/...", core's by layer; never "core/..."
#   or "app/...".

cmake_minimum_required(VERSION 3.25)

function(tb_check_layers root)
  file(STRINGS ${root}/core/CMakeLists.txt layer_line REGEX "^set\\(TUNEBENCH_LAYERS ")
  string(REGEX REPLACE "^set\\(TUNEBENCH_LAYERS (.*)\\)$" "\\1" layer_line "${layer_line}")
  string(REPLACE " " ";" layers "${layer_line}")
  list(JOIN layers " → " order)

  file(GLOB_RECURSE core_files RELATIVE ${root} ${root}/core/*.h ${root}/core/*.cpp)
  file(GLOB_RECURSE ui_files RELATIVE ${root} ${root}/ui/*.h ${root}/ui/*.cpp ${root}/app/*.cpp ${root}/app/*.h)
  set(problems "")

  # Includes of every core file, and which headers are heavy.
  set(heavy "")
  foreach(f IN LISTS core_files)
    file(STRINGS ${root}/${f} incs REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    set(quoted_${f} "")
    foreach(line IN LISTS incs)
      if(line MATCHES "#[ \t]*include[ \t]*<(torch|ATen|c10)/")
        list(APPEND heavy ${f})
      elseif(line MATCHES "#[ \t]*include[ \t]*\"([^\"]+)\"")
        list(APPEND quoted_${f} ${CMAKE_MATCH_1})
      elseif(line MATCHES "#[ \t]*include[ \t]*<(Q[A-Za-z]*)[/>]")
        list(APPEND problems "${f}: includes Qt (<${CMAKE_MATCH_1}>): core/ is built without Qt")
      endif()
    endforeach()
  endforeach()
  # Heavy is transitive: repeat until nothing changes.
  set(changed TRUE)
  while(changed)
    set(changed FALSE)
    foreach(f IN LISTS core_files)
      if(NOT f MATCHES "\\.h$" OR f IN_LIST heavy)
        continue()
      endif()
      foreach(inc IN LISTS quoted_${f})
        if("core/${inc}" IN_LIST heavy)
          list(APPEND heavy ${f})
          set(changed TRUE)
          break()
        endif()
      endforeach()
    endforeach()
  endwhile()

  # Layer order inside core/.
  foreach(f IN LISTS core_files)
    string(REGEX REPLACE "^core/([^/]+)/.*" "\\1" layer "${f}")
    list(FIND layers ${layer} rank)
    if(rank LESS 0)
      if(f MATCHES "^core/[^/]+/")
        list(APPEND problems "${f}: folder '${layer}' is not a layer: add it to TUNEBENCH_LAYERS in core/CMakeLists.txt")
      endif()
      continue()
    endif()
    foreach(inc IN LISTS quoted_${f})
      if(NOT inc MATCHES "/")
        continue() # a file beside it
      endif()
      string(REGEX REPLACE "/.*" "" target "${inc}")
      list(FIND layers ${target} target_rank)
      if(target_rank GREATER rank)
        list(APPEND problems "${f}: includes \"${inc}\", but layer '${layer}' comes before '${target}' (${order})")
      elseif(target_rank LESS 0 AND NOT EXISTS ${root}/core/${inc})
        list(APPEND problems "${f}: includes \"${inc}\", which is not a core/ header")
      endif()
    endforeach()
  endforeach()

  # The GUI and the app see core through its torch-free headers only
  # (app/cli may use LibTorch: it links the engine's torch library itself).
  foreach(f IN LISTS ui_files)
    file(STRINGS ${root}/${f} incs REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    foreach(line IN LISTS incs)
      if(line MATCHES "#[ \t]*include[ \t]*\"([^\"]+)\"")
        set(inc ${CMAKE_MATCH_1})
        if(inc MATCHES "^(core|app)/")
          list(APPEND problems "${f}: includes \"${inc}\" — include core headers by layer (\"eval/...\") and ui headers as \"ui/...\"")
        elseif(f MATCHES "^ui/" AND "core/${inc}" IN_LIST heavy)
          list(APPEND problems "${f}: includes \"${inc}\", which pulls in LibTorch: the GUI uses core's torch-free headers only")
        endif()
      elseif(f MATCHES "^ui/" AND line MATCHES "#[ \t]*include[ \t]*<(torch|ATen|c10)/")
        list(APPEND problems "${f}: includes LibTorch: the GUI uses core's torch-free headers only")
      endif()
    endforeach()
  endforeach()

  if(problems)
    list(JOIN problems "\n  " text)
    message(FATAL_ERROR "Layer rules broken:\n  ${text}")
  endif()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND TB_ROOT)
  tb_check_layers(${TB_ROOT})
  message(STATUS "layers: core/ and ui/ follow the layer rules")
endif()
