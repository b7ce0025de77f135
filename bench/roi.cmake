# ROI report benchmark: RoiReports::Compute over 90 days and a year of a
# store with a million sales (target: under 2 s each).
add_executable(roi_bench ${CMAKE_CURRENT_LIST_DIR}/roi_bench.cpp)
target_link_libraries(roi_bench PRIVATE tillbridge_store tillbridge_warnings SQLite::SQLite3)
